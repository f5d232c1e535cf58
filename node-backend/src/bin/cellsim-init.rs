//! The container helper as its own binary (tests and embedders use it; the `cellsim`
//! binary runs the same code as `cellsim __init`).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    cellsim_node::init::main(&args)
}
