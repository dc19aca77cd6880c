//! Charts come out as PNGs of the stated size, with text drawn by the embedded font.

use crate::algo_support::{backtest_in_sample, load_shared};
use tmctl_service::algo::RadarScores;
use tmctl_service::plot::{self, Series};

fn decode(png: &[u8]) -> image::RgbImage {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    image::load_from_memory_with_format(png, image::ImageFormat::Png)
        .unwrap()
        .to_rgb8()
}

/// Pixels that are not white inside a rectangle.
fn inked(img: &image::RgbImage, x: std::ops::Range<u32>, y: std::ops::Range<u32>) -> usize {
    y.flat_map(|j| x.clone().map(move |i| (i, j)))
        .filter(|(i, j)| img.get_pixel(*i, *j).0 != [255, 255, 255])
        .count()
}

#[test]
fn titles_are_drawn_with_the_embedded_font() {
    let values = [1.0, 2.0, 1.5, 3.0];
    let series = [Series {
        name: "agent",
        values: &values,
    }];
    let with_title = decode(&plot::equity_curve("Account value", None, &series).unwrap());
    let without = decode(&plot::equity_curve("", None, &series).unwrap());
    // The caption sits at the top centre.
    let titled = inked(&with_title, 350..650, 0..45);
    assert!(titled > 200, "title pixels: {titled}");
    assert_eq!(inked(&without, 350..650, 0..10), 0);
}

#[test]
fn backtest_chart_of_btc() {
    let data = load_shared("algorithmic_trading_BTC_data.csv")
        .slice(2000..2400)
        .unwrap();
    let bt = backtest_in_sample("algorithmic_trading", "blind_bid", &data);
    let img = decode(&plot::backtest_chart(&bt).unwrap());
    assert_eq!(img.dimensions(), (1000, 600));
    // The agent's line colour appears in the plot area.
    let blue = img.pixels().filter(|p| p.0 == [31, 119, 180]).count();
    assert!(blue > 500, "agent line pixels: {blue}");
}

#[test]
fn regime_chart_colours_each_label() {
    let values: Vec<f64> = (0..90)
        .map(|i| 100.0 + (i as f64 / 10.0).sin() * 10.0)
        .collect();
    let labels: Vec<usize> = (0..90).map(|i| i / 30).collect();
    let names = vec![
        "bear".to_string(),
        "sideways".to_string(),
        "bull".to_string(),
    ];
    let img = decode(&plot::regime_chart("Regimes", None, &values, &labels, &names).unwrap());
    // red for the first label, amber between, green for the last
    for color in [[214, 39, 40], [230, 160, 20], [44, 160, 44]] {
        assert!(
            img.pixels().filter(|p| p.0 == color).count() > 100,
            "{color:?}"
        );
    }
    let e = plot::regime_chart("x", None, &values, &labels[..10], &names).unwrap_err();
    assert!(e.to_string().contains("10 labels for 90 values"), "{e}");
    let e = plot::regime_chart("x", None, &values, &labels, &names[..2]).unwrap_err();
    assert!(
        e.to_string()
            .contains("labels[60] is 2 but only 2 label names"),
        "{e}"
    );
    let mut bad = values.clone();
    bad[5] = f64::NAN;
    let e = plot::regime_chart("x", None, &bad, &labels, &names).unwrap_err();
    assert!(e.to_string().contains("values[5] is NaN"), "{e}");
}

#[test]
fn radar_chart_draws() {
    let scores = RadarScores {
        excess_profit: 40.0,
        total_return: 40.0,
        sharpe_ratio: 60.0,
        calmar_ratio: 20.0,
        sortino_ratio: -10.0,
        volatility: 70.0,
        max_drawdown: 55.0,
        profitability: 27.5,
        risk_control: 62.5,
    };
    let img = decode(&plot::radar_chart("Radar", &scores).unwrap());
    assert_eq!(img.dimensions(), (900, 760));
    assert!(inked(&img, 0..900, 0..760) > 20_000);
    let bad = RadarScores {
        sharpe_ratio: f64::INFINITY,
        ..scores
    };
    assert!(plot::radar_chart("Radar", &bad).is_err());
}
