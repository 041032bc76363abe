//! `/api/docs`: the API's documentation as a plain page drawn on the server from the same
//! OpenAPI document clients read at `/api/v1/openapi.json` — nothing fetched from a CDN, so it
//! works on an agency's closed network.

use axum::response::Response;
use serde_json::{Value, json};

use super::{PageContext, PageError};

pub async fn page(page: PageContext) -> Result<Response, PageError> {
    let doc: Value = serde_json::from_str(crate::api_document()).unwrap_or_default();
    let mut operations = Vec::new();
    let mut tags: Vec<String> = Vec::new();
    for (path, methods) in doc["paths"].as_object().into_iter().flatten() {
        for (method, operation) in methods.as_object().into_iter().flatten() {
            let tag = operation["tags"][0].as_str().unwrap_or("API").to_string();
            if !tags.contains(&tag) {
                tags.push(tag.clone());
            }
            let contents = |content: &Value| -> Vec<String> {
                content
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(media, body)| format!("{media} {}", type_text(&body["schema"])))
                    .collect()
            };
            let body = contents(&operation["requestBody"]["content"]);
            let responses: Vec<String> = operation["responses"]
                .as_object()
                .into_iter()
                .flatten()
                .map(
                    |(status, answer)| match contents(&answer["content"]).as_slice() {
                        [] => status.clone(),
                        shapes => format!("{status} ({})", shapes.join(", ")),
                    },
                )
                .collect();
            let parameters: Vec<Value> = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| {
                    json!({"name": p["name"], "in": p["in"], "required": p["required"],
                           "type": type_text(&p["schema"]), "description": p["description"]})
                })
                .collect();
            operations.push(json!({
                "tag": tag, "path": path, "method": method,
                "id": operation["operationId"], "summary": operation["summary"],
                "description": operation["description"],
                "parameters": parameters, "body": body, "responses": responses,
            }));
        }
    }
    tags.sort();
    let schemas: Vec<Value> = doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, schema)| {
            let required: Vec<&str> = schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let fields: Vec<Value> = schema["properties"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(field, shape)| {
                    json!({"name": field, "type": type_text(shape),
                           "required": required.contains(&field.as_str()),
                           "description": shape["description"]})
                })
                .collect();
            json!({"name": name, "description": schema["description"],
                   "type": if fields.is_empty() { type_text(schema) } else { String::new() },
                   "fields": fields})
        })
        .collect();
    page.render(
        "api_docs.html",
        json!({"doc": doc, "tags": tags, "operations": operations, "schemas": schemas}),
    )
}

/// A schema in a few words: `AgencyCode`, `[Indicator]`, `string /^…$/`, `"a" | "b"`.
fn type_text(schema: &Value) -> String {
    if let Some(reference) = schema["$ref"].as_str() {
        return reference
            .rsplit('/')
            .next()
            .unwrap_or(reference)
            .to_string();
    }
    if let Some(choices) = schema["oneOf"].as_array().or(schema["anyOf"].as_array()) {
        return choices
            .iter()
            .map(type_text)
            .collect::<Vec<_>>()
            .join(" | ");
    }
    if let Some(parts) = schema["allOf"].as_array() {
        return parts.iter().map(type_text).collect::<Vec<_>>().join(" & ");
    }
    if let Some(words) = schema["enum"].as_array() {
        return words
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(" | ");
    }
    let kind = match &schema["type"] {
        Value::String(kind) => kind.clone(),
        Value::Array(kinds) => kinds
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => "any".to_string(),
    };
    match kind.as_str() {
        "array" | "array | null" => format!("[{}]", type_text(&schema["items"])),
        _ => match schema["pattern"].as_str() {
            Some(pattern) => format!("{kind} /{pattern}/"),
            None => kind,
        },
    }
}
