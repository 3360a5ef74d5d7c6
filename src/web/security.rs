//! (Being built.)

use axum::Router;

use super::Web;

/// The routes of this group.
pub fn routes() -> Router<Web> {
    Router::new()
}
