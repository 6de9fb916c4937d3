return { main = function(...) print("host", ...) return 0 end }
