//! A browser as a member would name it ("Firefox on Android"), from its `User-Agent`, for the
//! list of places they are signed in. Not for deciding anything: a User-Agent is whatever the
//! browser says.

/// Browser and system, or "Unknown browser" when neither is recognised, in the reader's
/// language (the description is kept with the session, so it is written as the member signed in).
pub fn describe(user_agent: &str) -> String {
    let ua = user_agent;
    // Order matters: Edge and Opera say "Chrome" too, Chrome says "Safari", iPads say "Mac".
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("Firefox/", "Firefox"),
        ("FxiOS/", "Firefox"),
        ("CriOS/", "Chrome"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    .into_iter()
    .find(|(mark, _)| ua.contains(mark))
    .map(|(_, name)| name);
    let system = [
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("Windows", "Windows"),
        ("Mac OS X", "Mac"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(mark, _)| ua.contains(mark))
    .map(|(_, name)| name);
    let tr = crate::domain::i18n::tr();
    match (browser, system) {
        (Some(b), Some(s)) => tr.f("forms.device.browser_on", &[("browser", b), ("system", s)]),
        (Some(b), None) => b.to_owned(),
        (None, Some(s)) => tr.f("forms.device.a_browser_on", &[("system", s)]),
        (None, None) => tr.t("forms.device.unknown").to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn common_browsers_are_named_as_people_name_them() {
        let android_chrome = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
        let iphone_safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
        let windows_edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";
        let linux_firefox =
            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
        assert_eq!(describe(android_chrome), "Chrome on Android");
        assert_eq!(describe(iphone_safari), "Safari on iPhone");
        assert_eq!(describe(windows_edge), "Edge on Windows");
        assert_eq!(describe(linux_firefox), "Firefox on Linux");
        assert_eq!(describe("curl/8.5"), "Unknown browser");
    }
}
