//! The provider as a process: the go-plugin handshake and AutoMTLS, the
//! plugin protocol's RPCs, malformed RPC input, logging, and the layering of
//! the source tree.
//!
//! Each module was once a test binary of its own and keeps that name, so a
//! test's full name is `<module>::<test>`: `cargo test --test protocol <module>::`
//! runs one module's tests.

mod architecture;
mod handshake;
mod logging;
mod protocol;
mod rpc_fuzz;
