use actix_web::{HttpRequest, HttpResponse, web};

use crate::{app::AppState, error::ApiError};

/// Owned assets by id. The id is an unguessable uuid, as a CDN link would be; providers
/// fetch media from here.
pub async fn serve(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::NotFound { code: "not_found", detail: "No such media asset.".into() };
    let id = uuid::Uuid::parse_str(&id).map_err(|_| not_found())?;
    let mut conn = state.pool.get().await?;
    let asset = store::media::asset(&mut conn, id).await?.ok_or_else(not_found)?;
    let path = std::path::Path::new(&state.config.storage_dir).join(&asset.storage_key);
    let file = actix_files::NamedFile::open_async(path).await.map_err(|_| not_found())?;
    let mime: mime::Mime = asset.content_type.parse().unwrap_or(mime::APPLICATION_OCTET_STREAM);
    Ok(file.set_content_type(mime).use_etag(true).into_response(&req))
}
