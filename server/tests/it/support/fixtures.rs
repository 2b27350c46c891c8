//! The starting points many tests share, each made in one call: the console with its member of
//! staff signed in, and Maya at a till that sends her purchases to the earning API.

use sqlx::PgPool;

use super::client::TestApp;
use super::seed::{api_key, member, reward, staff, store};

/// The password of every member the fixtures make.
pub const PASSWORD: &str = "correct horse battery";

/// The test shop, and its member of staff signed in to the console: the app and their session
/// cookie.
pub async fn staff_console(pool: &PgPool) -> (TestApp, String) {
    store(pool).await;
    let staff = staff(pool).await;
    (TestApp::new(pool.clone()), staff)
}

/// The console, with one reward in the catalog to put in drops: "Candle duo", a gift at 750
/// points. The app, the staff session cookie, and the reward's id as the drop form sends it.
pub async fn staff_console_with_a_reward(pool: &PgPool) -> (TestApp, String, String) {
    let (app, staff) = staff_console(pool).await;
    let candle = reward(pool, "Candle duo", "gift", 750).await.to_string();
    (app, staff, candle)
}

/// The test shop with one member, Maya (`maya@example.com`, `PASSWORD`, no points yet), and a
/// till's key for the earning API: the app, Maya's id and the key.
pub async fn maya_at_the_till(pool: &PgPool) -> (TestApp, i64, String) {
    store(pool).await;
    let maya = member(pool, "maya@example.com", PASSWORD).await;
    let key = api_key(pool).await;
    (TestApp::new(pool.clone()), maya, key)
}
