package pdf

var AddDocTimestamp = addDocTimestamp
