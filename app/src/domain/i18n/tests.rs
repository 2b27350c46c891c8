use super::*;

#[test]
fn accept_language_is_read_by_preference_and_weight() {
    assert_eq!(preferred_lang("es-MX,es;q=0.9,en;q=0.8"), Some(Lang::Es));
    assert_eq!(preferred_lang("fr-FR, en;q=0.5, es;q=0.7"), Some(Lang::Es));
    assert_eq!(preferred_lang("de, fr"), None);
    assert_eq!(preferred_lang("es;q=0, en"), Some(Lang::En));
    assert_eq!(Locale::for_reader(Lang::Es, "es-ES,es;q=0.9"), Locale::EsEs);
    assert_eq!(Locale::for_reader(Lang::Es, "es-MX"), Locale::EsMx);
    assert_eq!(Locale::for_reader(Lang::Es, "en-US"), Locale::EsMx);
    assert_eq!(Locale::for_reader(Lang::En, "es-ES"), Locale::En);
}

#[cfg(not(feature = "hydrate"))]
#[test]
fn numbers_and_plurals_follow_cldr_for_each_locale() {
    let points = |locale: Locale, n: i64| {
        Tr::new(catalog_for(locale), locale).points(crate::domain::points::Points::new(n).unwrap())
    };
    assert_eq!(points(Locale::En, 1), "1 point");
    assert_eq!(points(Locale::En, 12_500), "12,500 points");
    assert_eq!(points(Locale::EsMx, 1), "1 punto");
    assert_eq!(points(Locale::EsMx, 2), "2 puntos");
    assert_eq!(points(Locale::EsMx, 12_500), "12,500 puntos");
    assert_eq!(points(Locale::EsEs, 12_500), "12.500 puntos");
    // Spain leaves four digits ungrouped.
    assert_eq!(points(Locale::EsEs, 4_500), "4500 puntos");
}

#[cfg(not(feature = "hydrate"))]
#[test]
fn money_and_rates_are_written_as_each_locale_writes_them() {
    assert_eq!(format_money(Locale::En, 123_450, "USD"), "$1,234.50");
    assert_eq!(format_money(Locale::EsMx, 123_450, "MXN"), "$1,234.50");
    assert_eq!(format_money(Locale::EsMx, 123_450, "USD"), "US$1,234.50");
    assert_eq!(format_money(Locale::EsEs, 123_450, "EUR"), "1234,50\u{a0}€");
    assert_eq!(
        format_money(Locale::EsEs, 1_234_500, "EUR"),
        "12.345,00\u{a0}€"
    );
    assert_eq!(format_money(Locale::En, 5, "EUR"), "€0.05");
    assert_eq!(format_hundredths(Locale::En, 150), "1.50");
    assert_eq!(format_hundredths(Locale::EsEs, 150), "1,50");
}

#[cfg(not(feature = "hydrate"))]
#[test]
fn days_ahead_read_as_the_reader_says_them() {
    let es = Tr::new(catalog_for(Locale::EsMx), Locale::EsMx);
    let en = Tr::new(catalog_for(Locale::En), Locale::En);
    assert_eq!(es.in_days(0), "hoy");
    assert_eq!(es.in_days(1), "mañana");
    assert_eq!(es.in_days(3), "en 3 días");
    assert_eq!(es.in_days(1500), "en 1,500 días");
    assert_eq!(en.in_days(1), "tomorrow");
    assert_eq!(en.in_days(9), "in 9 days");
}

#[test]
fn dates_use_the_readers_day_and_month_names() {
    use chrono::TimeZone;
    let at = chrono::Utc.with_ymd_and_hms(2026, 12, 3, 14, 0, 0).unwrap();
    let zone: chrono_tz::Tz = "America/New_York".parse().unwrap();
    assert_eq!(format_date(Locale::En, zone, at), "Thu 3 Dec, 09:00 EST");
    assert_eq!(format_date(Locale::EsMx, zone, at), "jue 3 dic, 09:00 EST");
}
