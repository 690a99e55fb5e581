package io.meshclient.spring.app;

import io.meshclient.spring.MeshClient;
import io.meshclient.spring.MeshTimeout;
import org.springframework.web.service.annotation.GetExchange;

/** The policy of "slow" sets no timeout: the code-level default applies. */
@MeshClient("slow")
public interface SlowClient {

  @MeshTimeout("200ms")
  @GetExchange("/slow")
  String slow();
}
