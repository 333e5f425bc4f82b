package minio

import "github.com/minio/minio-go/v7"

func makeBucketOptions() minio.MakeBucketOptions { return minio.MakeBucketOptions{} }

func minioRemoveVersion(vid string) minio.RemoveObjectOptions {
	return minio.RemoveObjectOptions{VersionID: vid}
}
