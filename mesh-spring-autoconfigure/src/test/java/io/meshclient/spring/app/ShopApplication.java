package io.meshclient.spring.app;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.service.registry.ImportHttpServices;

/** A small application calling mesh services through annotated HTTP interfaces. */
@SpringBootApplication
@ImportHttpServices(group = "catalog", types = CatalogClient.class)
public class ShopApplication {}
