//! Table tests transcribed from upstream podtopologyspread filtering_test.go, scoring_test.go
//! and validation_pluginargs_test.go, run through the real plugin entry points.
