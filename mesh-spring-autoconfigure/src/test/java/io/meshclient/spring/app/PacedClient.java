package io.meshclient.spring.app;

import io.meshclient.spring.MeshClient;
import io.meshclient.spring.MeshTimeout;
import org.springframework.web.service.annotation.GetExchange;

/** The policy of "paced" sets a timeout: it takes precedence over the code-level default. */
@MeshClient("paced")
public interface PacedClient {

  @MeshTimeout("200ms")
  @GetExchange("/slow")
  String slow();
}
