package dev.magistrate.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** openapi.yaml documents exactly the routes the server dispatches on ({@link ApiRoute}): none missing, none extra. */
class OpenApiTest {

    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options", "trace");

    @Test
    void everyRouteServedIsInOpenApiAndEveryOperationThereIsServed() throws IOException {
        JsonNode doc;
        try (InputStream in = OpenApiTest.class.getResourceAsStream("/openapi.yaml")) {
            doc = new ObjectMapper(new YAMLFactory()).readTree(in);
        }
        assertTrue(doc.path("openapi").asText().startsWith("3.1"), "OpenAPI 3.1");
        Set<String> documented = new TreeSet<>();
        for (Iterator<String> paths = doc.path("paths").fieldNames(); paths.hasNext(); ) {
            String path = paths.next();
            for (Iterator<String> ops = doc.path("paths").path(path).fieldNames(); ops.hasNext(); ) {
                String op = ops.next();
                if (METHODS.contains(op)) documented.add(op.toUpperCase(java.util.Locale.ROOT) + " " + path);
            }
        }
        Set<String> served = Arrays.stream(ApiRoute.values()).map(r -> r.method + " " + r.template).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(served, documented);
    }
}
