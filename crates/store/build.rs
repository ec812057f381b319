// The migrations are embedded at compile time (`migrate.rs`): a new or edited one must
// rebuild this crate, which cargo cannot know without being told.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
