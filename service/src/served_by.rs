//! The `X-Served-By` response header: the host (container) that answered, so a client can
//! tell replicas apart behind the gateway.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

pub const HEADER: &str = "x-served-by";

/// The header value, computed once per router.
pub fn header_value() -> HeaderValue {
    HeaderValue::from_str(&crate::util::hostname())
        .unwrap_or_else(|_| HeaderValue::from_static("unknown"))
}

/// Adds the header to every response.
pub async fn add_header(value: HeaderValue, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response.headers_mut().insert(HEADER, value);
    response
}
