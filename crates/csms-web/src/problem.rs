//! Errors as RFC 9457 problem details.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use csms_store::StoreError;
use serde_json::json;

/// A problem to report to an API client.
#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    /// Stable identifier of the kind of problem (`urn:opencsms:problem:conflict`).
    pub kind: &'static str,
    pub title: &'static str,
    pub detail: String,
    pub extra: Option<serde_json::Value>,
}

impl Problem {
    pub fn new(
        status: StatusCode,
        kind: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Problem {
            status,
            kind,
            title,
            detail: detail.into(),
            extra: None,
        }
    }

    pub fn unauthorized() -> Self {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
            "send a valid API token as 'Authorization: Bearer csms_...'; create one with `csms token create`",
        )
    }

    pub fn forbidden(needed: &str) -> Self {
        Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Not permitted",
            format!("this action needs the {needed} role in the organization"),
        )
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        match &e {
            StoreError::Conflict { current, .. } => Problem {
                extra: Some(json!({ "current_version": current })),
                ..Problem::new(
                    StatusCode::CONFLICT,
                    "conflict",
                    "Edit conflict",
                    e.to_string(),
                )
            },
            StoreError::NotFound { .. } => Problem::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "Not found",
                e.to_string(),
            ),
            StoreError::Duplicate { .. } => Problem::new(
                StatusCode::CONFLICT,
                "duplicate",
                "Already exists",
                e.to_string(),
            ),
            StoreError::Locked(_) => {
                Problem::new(StatusCode::CONFLICT, "locked", "Locked", e.to_string())
            }
            StoreError::Invalid(f) => Problem {
                extra: Some(json!({ "field": f.field })),
                ..Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid",
                    "Invalid input",
                    e.to_string(),
                )
            },
            _ => {
                tracing::error!(error = %e, "request failed");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                    "the server could not complete the request; the error is in the server log",
                )
            }
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut body = json!({
            "type": format!("urn:opencsms:problem:{}", self.kind),
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if let (Some(serde_json::Value::Object(extra)), Some(obj)) =
            (self.extra, body.as_object_mut())
        {
            obj.extend(extra);
        }
        let mut res = (self.status, axum::Json(body)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}
