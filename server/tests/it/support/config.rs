//! What the tests read from their environment, and only here: the SMTP server the test command
//! started and the folder it writes received mail to.

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
