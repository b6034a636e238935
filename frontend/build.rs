//! `wasm-split-cli` cuts the lazily loaded parts (`#[lazy]`) out of the linked module by
//! following its relocations, which the linker drops unless asked to keep them.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg-bins=--emit-relocs");
    }
}
