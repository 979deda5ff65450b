"""Technical-school graduation certificates (技工院校毕业证书): declare, review, approve, stock."""
