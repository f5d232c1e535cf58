//! The few browser calls the app makes (location, history, animation frames, downloads,
//! files), in one place.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// `location.search` (empty outside a page).
pub fn location_search() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

/// Replace the page's query (no reload) and return the full URL.
pub fn set_query(query: &str) -> String {
    let Some(w) = web_sys::window() else {
        return query.to_string();
    };
    let loc = w.location();
    let base = format!(
        "{}{}",
        loc.origin().unwrap_or_default(),
        loc.pathname().unwrap_or_default()
    );
    let url = format!("{base}{query}");
    if let Ok(h) = w.history() {
        let _ = h.replace_state_with_url(&JsValue::NULL, "", Some(&url));
    }
    url
}

/// Call `f(timestamp)` at the next animation frame.
pub fn next_frame(f: impl FnOnce(f64) + 'static) {
    let Some(w) = web_sys::window() else { return };
    let cb = Closure::once_into_js(f);
    let _ = w.request_animation_frame(cb.unchecked_ref());
}

/// Offer `bytes` as a file download.
pub fn download(name: &str, mime: &str, bytes: &[u8]) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &opts) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Ok(a) = doc.create_element("a") {
        let a: web_sys::HtmlAnchorElement = a.unchecked_into();
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// Read the first file of a file input, then call `done(name, text)`.
pub fn read_file(input: &web_sys::HtmlInputElement, done: impl FnOnce(String, String) + 'static) {
    let Some(file) = input.files().and_then(|f| f.get(0)) else {
        return;
    };
    let name = file.name();
    let promise = file.text();
    wasm_bindgen_futures::spawn_local(async move {
        if let Ok(v) = wasm_bindgen_futures::JsFuture::from(promise).await {
            done(name, v.as_string().unwrap_or_default());
        }
    });
}

/// The `data-pod` attribute of the clicked element or its nearest ancestor.
pub fn clicked_pod(e: &web_sys::MouseEvent) -> Option<String> {
    let el: web_sys::Element = e.target()?.dyn_into().ok()?;
    el.closest("[data-pod]").ok()??.get_attribute("data-pod")
}

/// A `performance.mark` (the page bench reads the `cellsim-` marks of the page's start); none
/// outside a page.
pub fn mark(name: &str) {
    #[cfg(target_arch = "wasm32")]
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark(name);
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = name;
}
