package io.meshclient.spring.mtls;

import org.springframework.boot.autoconfigure.SpringBootApplication;

/** An application with workload identity calling STRICT (mutual TLS only) services. */
@SpringBootApplication
public class MtlsApplication {}
