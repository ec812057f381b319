use actix_web::{HttpResponse, http::header, web};

use crate::{app::AppState, error::ApiError};

/// Owned assets by id, streamed from storage. The id is an unguessable uuid, as a CDN
/// link would be; providers fetch media from here, without a key, so an asset a post uses
/// is served to anyone with its link. One no post uses yet (an upload in progress, an
/// import a refused post left) is served only with a key of its workspace. Always with
/// `nosniff`: a browser never runs an asset as another type.
#[utoipa::path(
    get, path = "/media/{asset_id}", operation_id = "get_media", tag = "media", params(("asset_id" = Uuid, Path)),
    responses((status = 200, description = "The asset's bytes", content_type = "application/octet-stream", body = Vec<u8>), (status = 404, description = "No such asset", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn serve(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::NotFound(crate::error::Missing::MediaAsset);
    let id = uuid::Uuid::parse_str(&id).map_err(|_| not_found())?;
    let mut conn = state.pool.get().await?;
    let asset = store::media::asset(&mut conn, id).await?.ok_or_else(not_found)?;
    if !store::media::is_attached(&mut conn, id).await? {
        drop(conn);
        let caller = match crate::auth::bearer(&req) {
            Some(token) => crate::auth::authenticate(&state, &token).await.ok(),
            None => None,
        };
        // Not found rather than 401: an unattached asset's existence is not told either.
        if caller.is_none_or(|c| c.scope.workspace_id != asset.workspace_id) {
            return Err(not_found());
        }
    } else {
        drop(conn);
    }
    let (size, stream) =
        state.storage.read_stream(&storage::asset_key(&asset.id.to_string())).await.map_err(|_| not_found())?;
    Ok(HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::ETAG, format!("\"{}\"", asset.sha256)))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(actix_web::body::SizedStream::new(size, stream)))
}
