//! What the tests read from their environment, and only here: the SMTP server the test command
//! started, the folder it writes received mail to, and the CDNOW sample it fetched.

use std::path::PathBuf;

/// `BAZAAR_TEST_SMTP`: the SMTP server (`host:port`).
pub fn smtp() -> String {
    std::env::var("BAZAAR_TEST_SMTP").expect(
        "BAZAAR_TEST_SMTP: the tests send mail to a real SMTP server; run them with server/scripts/test.sh, \
         or start server/scripts/smtp_sink.py and set BAZAAR_TEST_SMTP and BAZAAR_TEST_MAILDIR",
    )
}

/// `BAZAAR_TEST_MAILDIR`: where that server writes what it receives.
pub fn maildir() -> PathBuf {
    PathBuf::from(std::env::var("BAZAAR_TEST_MAILDIR").expect("BAZAAR_TEST_MAILDIR"))
}

/// `BAZAAR_CDNOW_SAMPLE`: the CDNOW sample (Fader, Hardie & Lee 2005), which the test command
/// fetches from PyPI inside the `lifetimes` package.
pub fn cdnow_sample() -> PathBuf {
    PathBuf::from(std::env::var("BAZAAR_CDNOW_SAMPLE").expect(
        "BAZAAR_CDNOW_SAMPLE names the CDNOW sample; server/scripts/test.sh fetches it from PyPI (ensure_cdnow_sample)",
    ))
}
