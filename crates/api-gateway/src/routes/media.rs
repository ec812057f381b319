use actix_web::{HttpResponse, http::header, web};

use crate::{app::AppState, error::ApiError};

/// Owned assets by id, streamed from storage. The id is an unguessable uuid, as a CDN
/// link would be; providers fetch media from here.
#[utoipa::path(
    get, path = "/media/{asset_id}", operation_id = "get_media", tag = "media", params(("asset_id" = Uuid, Path)),
    responses((status = 200, description = "The asset's bytes", content_type = "application/octet-stream", body = Vec<u8>), (status = 404, description = "No such asset", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn serve(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::NotFound { code: "not_found", detail: "No such media asset.".into() };
    let id = uuid::Uuid::parse_str(&id).map_err(|_| not_found())?;
    let mut conn = state.pool.get().await?;
    let asset = store::media::asset(&mut conn, id).await?.ok_or_else(not_found)?;
    drop(conn);
    let (size, stream) =
        state.storage.read_stream(&storage::asset_key(&asset.id.to_string())).await.map_err(|_| not_found())?;
    Ok(HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::ETAG, format!("\"{}\"", asset.sha256)))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(actix_web::body::SizedStream::new(size, stream)))
}
