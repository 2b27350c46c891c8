//! The member's card on the server: its number, and the number drawn as a QR code.

use crate::AppError;
use crate::account::card::MemberCard;
use crate::domain::card::CardNumber;
use crate::infra::caller::Member;

/// The signed-in member's card.
pub async fn card(caller: &Member) -> Result<MemberCard, AppError> {
    let me = caller.account();
    let number = sqlx::query_scalar!("SELECT card_number FROM accounts WHERE id = $1", me.id)
        .fetch_one(caller.pool())
        .await?;
    let number = CardNumber::parse(&number, "card_number")
        .map_err(|e| AppError::internal("reading a stored card number", e))?;
    Ok(MemberCard {
        display_name: me.display_name.clone(),
        qr_svg: qr_svg(number.as_str(), 240)?,
        number: number.to_string(),
        tier: me.tier.name().to_owned(),
    })
}

/// `text` as an SVG QR code at least `min_px` square, black on white with its quiet zone
/// (scanners need the white border), for a page to show as it is.
pub fn qr_svg(text: &str, min_px: u32) -> Result<String, AppError> {
    Ok(qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| AppError::internal("drawing a QR code", e))?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(min_px, min_px)
        .build())
}
