fn main() {
    println!("tmctl");
}
