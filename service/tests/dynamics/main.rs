mod csv;
mod fastdtw;
mod filter_parity;
mod label_parity;
