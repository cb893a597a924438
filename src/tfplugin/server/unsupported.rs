//! The answer to RPCs for features this provider does not offer.

use tonic::Status;

/// A clear `Unimplemented` status; Terraform shows it as "Unsupported plugin method".
pub fn status(rpc: &str, feature: &str) -> Status {
    Status::unimplemented(format!(
        "{rpc}: this provider does not offer {feature}; remove the configuration that uses them"
    ))
}
