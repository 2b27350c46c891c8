use axum::http::StatusCode;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

pub fn set_page_status(status: u16) {
    if let (Some(options), Ok(status)) = (
        use_context::<ResponseOptions>(),
        StatusCode::from_u16(status),
    ) {
        options.set_status(status);
    }
}
