package main

import "os"

// exit is os.Exit, a variable so tests can intercept it.
var exit = os.Exit
