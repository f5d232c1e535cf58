//! `cellsim image`: the node backend's local image store.

use cellsim_node::images::ImageStore;
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum ImageCommand {
    /// Import a rootfs directory, an image directory (`cellsim-image.json` listing layers
    /// and config) or a tarball (.tar, .tar.gz) as NAME:TAG.
    Import(ImportArgs),
    /// List the images (the built-in cellsim/busybox:latest is made on first use).
    Ls(StoreArgs),
    /// Delete an image (and its layers no other image uses).
    Rm(RmArgs),
    /// Image garbage collection: above 85% disk use, delete least recently used images
    /// down to 80%.
    Gc(StoreArgs),
}

#[derive(Args)]
pub struct StoreArgs {
    /// The image store directory.
    #[arg(long, default_value = "/var/lib/cellsim/images")]
    store: PathBuf,
}

#[derive(Args)]
pub struct ImportArgs {
    /// NAME:TAG (the tag defaults to latest).
    reference: String,
    /// DIR or TAR.
    source: PathBuf,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Args)]
pub struct RmArgs {
    reference: String,
    #[command(flatten)]
    store: StoreArgs,
}

pub fn run(c: ImageCommand) -> anyhow::Result<u8> {
    match c {
        ImageCommand::Import(a) => {
            let store = ImageStore::new(&a.store.store);
            let r = store.import(&a.reference, &a.source)?;
            crate::out::outln!(
                "imported {} ({} layer(s), {} bytes)",
                r.reference(),
                r.layers.len(),
                r.size_bytes
            )?;
        }
        ImageCommand::Ls(a) => {
            let store = ImageStore::new(&a.store);
            if let Err(e) = store.ensure_busybox() {
                eprintln!("note: built-in {}: {e}", cellsim_node::images::BUSYBOX);
            }
            crate::out::outln!(
                "{:<40} {:<12} {:>8} {:>12}",
                "IMAGE",
                "TAG",
                "LAYERS",
                "SIZE"
            )?;
            for r in store.list()? {
                crate::out::outln!(
                    "{:<40} {:<12} {:>8} {:>12}",
                    r.name,
                    r.tag,
                    r.layers.len(),
                    r.size_bytes
                )?;
            }
        }
        ImageCommand::Rm(a) => {
            ImageStore::new(&a.store.store).remove(&a.reference)?;
            crate::out::outln!("deleted {}", a.reference)?;
        }
        ImageCommand::Gc(a) => {
            let removed = ImageStore::new(&a.store).garbage_collect(&Default::default())?;
            if removed.is_empty() {
                crate::out::outln!(
                    "nothing to collect (below the 85% threshold, or nothing unused)"
                )?;
            }
            for r in removed {
                crate::out::outln!("deleted {r}")?;
            }
        }
    }
    Ok(0)
}
