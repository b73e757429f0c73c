pub mod emvco;
pub mod va;
