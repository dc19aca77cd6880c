//! The service image build, save/load round trip, pulling without a registry and the
//! pull → bootstrap → error fallback of `ensure_images`.

use std::path::PathBuf;

use crate::images_support::{bootstrapped, remove_image, stand_in_tags, Container};
use bollard::query_parameters::TagImageOptionsBuilder;
use tmctl::engine::docker::connect;
use tmctl::images::archive::{load, save};
use tmctl::images::bootstrap::BootstrapOptions;
use tmctl::images::ensure::{ensure_images, Obtained};
use tmctl::images::progress::Progress;
use tmctl::images::pull::pull_image;
use tmctl::images::service_image::{build_service_image, render_dockerfile, ServiceImageSpec};
use tmctl::images::ImageError;

fn service_spec() -> ServiceImageSpec {
    ServiceImageSpec {
        binary: PathBuf::from(env!("CARGO_BIN_EXE_tmctl")),
        base_image: "debian:bookworm-slim".into(),
        repository: "tmctl-test/service".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }
}

#[test]
fn dockerfile_names_base_binary_user_and_entrypoint() {
    let dockerfile = render_dockerfile(&service_spec()).unwrap();
    assert!(
        dockerfile.contains("\nFROM debian:bookworm-slim\n"),
        "{dockerfile}"
    );
    assert!(dockerfile.contains("COPY tmctl /usr/local/bin/tmctl"));
    assert!(dockerfile.contains("USER 10001"));
    assert!(dockerfile.contains("ENTRYPOINT [\"/usr/local/bin/tmctl\"]"));
    assert!(dockerfile.contains("CMD [\"serve\", \"--listen\", \"0.0.0.0:8000\"]"));
}

#[tokio::test]
async fn service_image_is_built_once_per_content_and_runs_the_binary() {
    bootstrapped().await;
    let docker = connect().await.unwrap();
    let spec = service_spec();
    let first = build_service_image(&docker, &spec, &Progress::hidden())
        .await
        .unwrap();
    let hash_part = first.tag.rsplit('-').next().unwrap();
    assert!(first
        .tag
        .starts_with(&format!("tmctl-test/service:{}-", spec.version)));
    assert_eq!(hash_part.len(), 12, "{}", first.tag);
    let second = build_service_image(&docker, &spec, &Progress::hidden())
        .await
        .unwrap();
    assert_eq!(second.tag, first.tag);
    assert!(
        !second.built,
        "an image with the same content hash must be reused"
    );

    let inspect = docker.inspect_image(&first.version_tag).await.unwrap();
    let config = inspect.config.unwrap();
    assert_eq!(config.user.as_deref(), Some("10001:10001"));
    assert_eq!(
        config.entrypoint,
        Some(vec!["/usr/local/bin/tmctl".to_string()])
    );
    let labels = config.labels.unwrap();
    assert_eq!(
        labels.get("io.tmctl.origin").map(String::as_str),
        Some("build")
    );

    let run = Container::run(&docker, &first.tag, "service", &[], Some(&["--version"])).await;
    let mut exit = None;
    for _ in 0..40 {
        let state = docker
            .inspect_container(&run.name, None)
            .await
            .unwrap()
            .state
            .unwrap();
        if state.running != Some(true) {
            exit = state.exit_code;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(
        exit,
        Some(0),
        "tmctl in the image failed: {}",
        run.logs().await
    );
}

#[tokio::test]
async fn saved_archive_loads_back_the_images() {
    bootstrapped().await;
    let _tags = stand_in_tags().await;
    let docker = connect().await.unwrap();
    let tag = format!("roundtrip-{}", std::process::id());
    let image = format!("tmctl-test/redis:{tag}");
    docker
        .tag_image(
            "redis:7",
            Some(
                TagImageOptionsBuilder::default()
                    .repo("tmctl-test/redis")
                    .tag(&tag)
                    .build(),
            ),
        )
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("images.tar");
    let written = save(&docker, &[image.as_str()], &file, &Progress::hidden())
        .await
        .unwrap();
    assert_eq!(written, std::fs::metadata(&file).unwrap().len());
    remove_image(&docker, &image).await;
    assert!(docker.inspect_image(&image).await.is_err());

    let report = load(&docker, &file, &Progress::hidden()).await.unwrap();
    assert!(
        report.iter().any(|line| line.contains(&image)),
        "{report:?}"
    );
    let loaded = docker.inspect_image(&image).await.unwrap();
    let original = docker.inspect_image("redis:7").await.unwrap();
    assert_eq!(loaded.id, original.id);
    remove_image(&docker, &image).await;
}

#[tokio::test]
async fn loading_a_file_that_is_no_archive_names_the_file() {
    let docker = connect().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-images.tar");
    std::fs::write(&file, "hello").unwrap();
    let err = load(&docker, &file, &Progress::hidden()).await.unwrap_err();
    assert!(matches!(err, ImageError::BadArchive { .. }), "{err}");
    assert!(err.to_string().contains("not-images.tar"), "{err}");
}

#[tokio::test]
async fn pulling_without_a_registry_says_the_registry_is_unreachable() {
    let docker = connect().await.unwrap();
    let err = pull_image(&docker, "tmctl-test/never-published:1", &Progress::hidden())
        .await
        .unwrap_err();
    assert!(
        matches!(err, ImageError::RegistryUnreachable { ref image, .. } if image == "tmctl-test/never-published:1"),
        "{err}"
    );
}

#[tokio::test]
async fn ensure_keeps_present_images_and_explains_what_cannot_be_had() {
    bootstrapped().await;
    let _tags = stand_in_tags().await;
    let docker = connect().await.unwrap();
    let obtained = ensure_images(
        &docker,
        &["redis:7", "postgres:15"],
        &BootstrapOptions::default(),
        &Progress::hidden(),
    )
    .await
    .unwrap();
    assert!(
        obtained
            .iter()
            .all(|(_, how)| *how == Obtained::AlreadyPresent),
        "{obtained:?}"
    );

    let err = ensure_images(
        &docker,
        &["tmctl-test/no-stand-in:1"],
        &BootstrapOptions::default(),
        &Progress::hidden(),
    )
    .await
    .unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, ImageError::Unobtainable { .. }), "{message}");
    assert!(message.contains("tmctl-test/no-stand-in:1"), "{message}");
    assert!(message.contains("tmctl images load"), "{message}");
}
