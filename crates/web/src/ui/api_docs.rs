//! `/api/docs`: the API's documentation as a plain page drawn on the server from the same
//! OpenAPI document clients read at `/api/v1/openapi.json` — nothing fetched from a CDN, so it
//! works on an agency's closed network.

use axum::response::Response;
use serde_json::{Value, json};

use super::{PageContext, PageError};

pub async fn page(page: PageContext) -> Result<Response, PageError> {
    let doc: Value = serde_json::from_str(crate::api::document()).unwrap_or_default();
    let mut operations = Vec::new();
    let mut tags: Vec<String> = Vec::new();
    for (path, methods) in doc["paths"].as_object().into_iter().flatten() {
        for (method, operation) in methods.as_object().into_iter().flatten() {
            let tag = operation["tags"][0].as_str().unwrap_or("API").to_string();
            if !tags.contains(&tag) {
                tags.push(tag.clone());
            }
            let body: Vec<&String> = operation["requestBody"]["content"]
                .as_object()
                .map(|c| c.keys().collect())
                .unwrap_or_default();
            let responses: Vec<&String> = operation["responses"]
                .as_object()
                .map(|r| r.keys().collect())
                .unwrap_or_default();
            operations.push(json!({
                "tag": tag, "path": path, "method": method,
                "id": operation["operationId"], "summary": operation["summary"],
                "parameters": operation["parameters"], "body": body, "responses": responses,
            }));
        }
    }
    tags.sort();
    page.render(
        "api_docs.html",
        json!({"doc": doc, "tags": tags, "operations": operations}),
    )
}
