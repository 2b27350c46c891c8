/// In the browser the page is already delivered; there is no status to set.
pub fn set_page_status(_status: u16) {}

/// In the browser the page is already delivered; there is no status to set.
pub fn set_error_status(_error: &crate::AppError) {}

/// In the browser the page is already delivered, with its nonce.
pub fn provide_page_nonce() {}
