module herald.dev/bench/sink

go 1.22
