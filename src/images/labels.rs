//! Labels tmctl puts on the images it makes, so that `ls` can tell where an image came from.

/// How the image came to be: [`ORIGIN_BOOTSTRAP`] or [`ORIGIN_BUILD`].
pub const ORIGIN: &str = "io.tmctl.origin";
/// Value of [`ORIGIN`] on images built from Debian packages by `tmctl images bootstrap`.
pub const ORIGIN_BOOTSTRAP: &str = "bootstrap";
/// Value of [`ORIGIN`] on the service image built by `tmctl images build`.
pub const ORIGIN_BUILD: &str = "build";
/// Hash of everything a bootstrapped or built image was made from.
pub const RECIPE: &str = "io.tmctl.recipe";
/// The tmctl version that made the image.
pub const VERSION: &str = "io.tmctl.version";
/// Name of the official image a bootstrapped image stands in for.
pub const STANDS_IN_FOR: &str = "io.tmctl.stands-in-for";
/// The Debian mirror a bootstrapped image's packages came from.
pub const MIRROR: &str = "io.tmctl.debian-mirror";
/// Hash of the Debian package set of a bootstrapped base image.
pub const PACKAGE_STATE: &str = "io.tmctl.debian-package-state";
