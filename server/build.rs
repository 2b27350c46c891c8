// `sqlx::migrate!` embeds the migrations folder when the crate compiles; without this, adding
// a migration would not rebuild the server and it would start on the old schema.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
