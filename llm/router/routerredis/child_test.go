package routerredis_test

// runChild is replaced when the shared-state tests land; no child mode yet.
func runChild() bool { return false }
