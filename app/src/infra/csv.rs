//! CSV exports: RFC 4180 quoting by the `csv` writer, CRLF line ends, and spreadsheet formulas
//! defused in every cell (exports carry text members and integrators wrote).

use crate::AppError;

/// Defuses spreadsheet formulas (OWASP's CSV injection advice): a cell starting with `=`, `+`,
/// `-`, `@`, a tab or a carriage return could run as a formula in Excel, so it gets a leading
/// `'`. Quoting is the `csv` writer's (RFC 4180).
fn defused(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

/// The CSV text of `rows`, one line each after the header, lines ending CRLF.
pub fn text<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> Result<String, AppError> {
    let fail = |e: csv::Error| AppError::internal("writing a CSV export", e);
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    out.write_record(header).map_err(fail)?;
    for row in rows {
        out.write_record(row.iter().map(|f| defused(f).into_owned()))
            .map_err(fail)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| AppError::internal("writing a CSV export", e))?;
    String::from_utf8(bytes).map_err(|e| AppError::internal("writing a CSV export", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        let row = |f: &str| [f.to_owned()];
        let text = |f: &str| text(["h"], &[row(f)]).unwrap();
        assert_eq!(text("plain"), "h\r\nplain\r\n");
        assert_eq!(text("a, b"), "h\r\n\"a, b\"\r\n");
        assert_eq!(text("say \"hi\""), "h\r\n\"say \"\"hi\"\"\"\r\n");
        assert_eq!(text("=HYPERLINK(1)"), "h\r\n'=HYPERLINK(1)\r\n");
        assert_eq!(text("@SUM(A1)"), "h\r\n'@SUM(A1)\r\n");
        assert_eq!(text("\t=1"), "h\r\n'\t=1\r\n");
        assert_eq!(text("\r=1"), "h\r\n\"'\r=1\"\r\n");
    }
}
