package minio

import "github.com/minio/minio-go/v7"

func makeBucketOptions() minio.MakeBucketOptions { return minio.MakeBucketOptions{} }
