package io.meshclient.spring.app;

import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.service.annotation.GetExchange;

/**
 * A plain Spring HTTP interface, registered with {@code @ImportHttpServices(group = "catalog")}:
 * it is in the mesh because {@code meshclient.http.groups} names its group.
 */
public interface CatalogClient {

  @GetExchange("/orders/{id}")
  String get(@PathVariable String id);
}
