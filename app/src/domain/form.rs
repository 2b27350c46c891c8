//! Reading a form's fields into a server function's arguments, the same way in both builds.

/// A server function's arguments, read in the browser from the fields of the form that was
/// submitted. The server reads the posted body itself (with `serde_qs`, as Leptos' `ActionForm`
/// does in the browser too); reading the few fields by hand keeps that parser and its
/// `BTreeMap` out of the bundle members download at drop time.
pub trait FromForm: Sized {
    /// `None` when a field is missing or malformed: the form then posts the ordinary way and
    /// the server answers with its own message.
    fn from_form(field: &dyn Fn(&str) -> Option<String>) -> Option<Self>;
}

#[cfg(test)]
pub mod tests {
    use super::FromForm;
    use serde::{Serialize, de::DeserializeOwned};

    /// Reads `body` as the server does (`serde_qs`) and as the browser does ([`FromForm`]),
    /// and checks both see the same arguments.
    pub fn reads_like_the_server<T: FromForm + DeserializeOwned + Serialize>(body: &str) {
        let server: T = serde_qs::from_str(body).unwrap();
        let pairs: Vec<(&str, &str)> = body.split('&').filter_map(|p| p.split_once('=')).collect();
        let field = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        };
        let browser =
            T::from_form(&field).unwrap_or_else(|| panic!("the browser could not read {body}"));
        assert_eq!(
            serde_json::to_value(&browser).unwrap(),
            serde_json::to_value(&server).unwrap(),
            "{body}"
        );
    }
}
