//! Signed tokens: `base64url(claims JSON) "." base64url(HMAC-SHA256(key, first part))`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    Access,
    Refresh,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// User id.
    pub sub: String,
    pub kind: TokenKind,
    /// Token id, the handle for revocation.
    pub jti: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: i64,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TokenError {
    #[error("malformed token")]
    Malformed,
    #[error("invalid token signature")]
    Signature,
    #[error("the token has expired; refresh it or log in again")]
    Expired,
    #[error("expected a {expected:?} token, got a {got:?} token")]
    WrongKind { expected: TokenKind, got: TokenKind },
}

pub struct TokenKeys {
    key: Vec<u8>,
}

impl TokenKeys {
    pub fn new(key: Vec<u8>) -> Self {
        TokenKeys { key }
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes keys of any length, so this cannot fail.
        <HmacSha256 as Mac>::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!())
    }

    pub fn sign(&self, claims: &Claims) -> String {
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
        let mut mac = self.mac();
        mac.update(body.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{body}.{signature}")
    }

    /// The claims of a token signed with this key, of the expected kind, not expired.
    pub fn verify(&self, token: &str, expected: TokenKind) -> Result<Claims, TokenError> {
        let (body, signature) = token.split_once('.').ok_or(TokenError::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        let mut mac = self.mac();
        mac.update(body.as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| TokenError::Signature)?;
        let bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| TokenError::Malformed)?;
        let claims: Claims = serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)?;
        if claims.kind != expected {
            return Err(TokenError::WrongKind {
                expected,
                got: claims.kind,
            });
        }
        if claims.exp <= crate::util::now_ms() / 1000 {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(kind: TokenKind, exp: i64) -> Claims {
        Claims {
            sub: "u1".into(),
            kind,
            jti: "j1".into(),
            exp,
        }
    }

    #[test]
    fn tokens_verify_only_with_their_key_kind_and_lifetime() {
        let keys = TokenKeys::new(b"0123456789abcdef0123".to_vec());
        let later = crate::util::now_ms() / 1000 + 60;
        let token = keys.sign(&claims(TokenKind::Access, later));
        assert_eq!(keys.verify(&token, TokenKind::Access).unwrap().sub, "u1");
        assert!(matches!(
            keys.verify(&token, TokenKind::Refresh),
            Err(TokenError::WrongKind { .. })
        ));
        let other = TokenKeys::new(b"another key of 16+ bytes".to_vec());
        assert_eq!(
            other.verify(&token, TokenKind::Access).unwrap_err(),
            TokenError::Signature
        );
        let expired = keys.sign(&claims(TokenKind::Access, later - 120));
        assert_eq!(
            keys.verify(&expired, TokenKind::Access).unwrap_err(),
            TokenError::Expired
        );
        let mut tampered = token.clone();
        tampered.insert(3, 'x');
        assert!(keys.verify(&tampered, TokenKind::Access).is_err());
    }
}
