//! `ensure_images` remaking a missing stand-in when no registry can be reached. Its own test
//! binary, because it removes and remakes `redis:7`, which other tests use.

use crate::images_support::{bootstrapped, remove_image, stand_in_tags};
use bollard::query_parameters::TagImageOptionsBuilder;
use tmctl::engine::docker::connect;
use tmctl::images::bootstrap::BootstrapOptions;
use tmctl::images::ensure::{ensure_images, Obtained};
use tmctl::images::progress::Progress;

#[tokio::test]
async fn ensure_bootstraps_a_missing_stand_in_when_the_registry_is_unreachable() {
    bootstrapped().await;
    let _tags = stand_in_tags().await;
    let docker = connect().await.unwrap();
    // Redis is the quickest stand-in to remake; everything it needs is cached by now.
    let image = "redis:7";
    let id = docker.inspect_image(image).await.unwrap().id.unwrap();
    docker
        .tag_image(
            &id,
            Some(
                TagImageOptionsBuilder::default()
                    .repo("tmctl-test/redis-keep")
                    .tag("7")
                    .build(),
            ),
        )
        .await
        .unwrap();
    remove_image(&docker, image).await;
    let obtained = ensure_images(
        &docker,
        &[image],
        &BootstrapOptions::default(),
        &Progress::hidden(),
    )
    .await;
    if obtained.is_err() {
        // Put the previous image back so the other tests keep working.
        docker
            .tag_image(
                &id,
                Some(
                    TagImageOptionsBuilder::default()
                        .repo("redis")
                        .tag("7")
                        .build(),
                ),
            )
            .await
            .unwrap();
    }
    assert_eq!(
        obtained.unwrap(),
        vec![(image.to_string(), Obtained::Bootstrapped)]
    );
    // Only the spare tag goes; a container of another stack may still use the old image.
    remove_image(&docker, "tmctl-test/redis-keep:7").await;
}
