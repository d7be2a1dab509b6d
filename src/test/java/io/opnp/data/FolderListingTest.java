package io.opnp.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a real tree holds, each kind of entry accounted for by the listing. */
class FolderListingTest {
  @TempDir
  Path root;

  private void touch(String rel) throws Exception {
    Path p = root.resolve(rel);
    Files.createDirectories(p.getParent());
    Files.write(p, new byte[] {1});
  }

  @Test
  void everyFileIsAnImageIgnoredOrHiddenAndASymlinkCycleIsListedOnce() throws Exception {
    for (String f : List.of("cat/a.png", "cat/b.WEBP", "cat/c.tiff", "cat/d.tif", "cat/e.pgm", "cat/f.ppm",
        "cat/g.pbm", "cat/h.pnm", "cat/i.jpeg", "cat/deep/j.gif", "dog/time 12:30.jpg", "dog/k.bmp",
        "dog/notes.txt", "dog/labels.csv", "dog/.DS_Store", "_SUCCESS", "top.png", ".cache/x.png")) {
      touch(f);
    }
    Files.createSymbolicLink(root.resolve("dog/loop"), root);  // a cycle: dog/loop/dog/loop/...
    Files.createSymbolicLink(root.resolve("dog/gone.png"), root.resolve("nowhere.png"));  // dangling
    Files.createSymbolicLink(root.resolve("cat/alias.png"), root.resolve("cat/a.png"));  // a second name: an image

    FolderListing l = FolderListing.list(root.toString(), new Configuration(), "dataset t");

    assertEquals(List.of("cat", "dog"), l.classes());
    Map<String, Long> labels = new HashMap<>();
    List<String> ids = new ArrayList<>();
    for (FolderListing.Image im : l.images()) {
      String rel = Path.of(java.net.URI.create(im.uri())).toString().substring(root.toString().length() + 1);
      labels.put(rel, im.label());
      ids.add(im.id());
      assertTrue(im.id().startsWith("file:/") && !im.id().startsWith("file://"), im.id());
    }
    assertEquals(15, l.images().size(), labels.toString());
    assertEquals(ids.stream().distinct().count(), ids.size(), "an image listed twice: " + ids);
    assertEquals(0L, labels.get("cat/deep/j.gif"));
    assertEquals(1L, labels.get("dog/time 12:30.jpg"));
    assertEquals(1L, labels.get("dog/gone.png"));
    assertEquals(0L, labels.get("cat/alias.png"));
    assertEquals(null, labels.get("top.png"));
    assertTrue(labels.keySet().stream().noneMatch(k -> k.contains("loop")), labels.toString());

    FolderListing.Inventory inv = l.inventory();
    assertEquals(15, inv.images());
    assertEquals(2, inv.ignored());
    assertEquals(List.of("dog/labels.csv", "dog/notes.txt"), inv.ignoredExamples().stream().sorted().toList());
    assertEquals(3, inv.hidden());  // .DS_Store, _SUCCESS, .cache/
    assertEquals(List.of("dog/loop"), inv.cycles());
    assertTrue(inv.describe().contains("1 symbolic-link cycle(s) not followed: dog/loop"), inv.describe());
    // Sorted in id order; a limit takes the first of them.
    List<String> sorted = new ArrayList<>(ids);
    sorted.sort(IdOrder::compareIds);
    assertEquals(sorted, ids);
    assertEquals(ids.subList(0, 4), l.first(4).images().stream().map(FolderListing.Image::id).toList());
  }

  @Test
  void anIndexedFolderLabelsByTheFolderNamesAsImageNetsClassIndicesWhateverFoldersArePresent() throws Exception {
    for (String f : List.of("000/a.JPEG", "217/b.jpg", "985/c.png")) {
      touch(f);
    }
    Map<String, Long> byFile = new HashMap<>();
    for (FolderListing.Image im : FolderListing.list(root.toString(), new Configuration(), "dataset t", true)
        .images()) {
      byFile.put(im.id().substring(im.id().lastIndexOf('/') + 1), im.label());
    }
    assertEquals(Map.of("a.JPEG", 0L, "b.jpg", 217L, "c.png", 985L), byFile);
    // The same tree as a plain folder: labels by sorted order, as torchvision's ImageFolder.
    Map<String, Long> sorted = new HashMap<>();
    for (FolderListing.Image im : FolderListing.list(root.toString(), new Configuration(), "dataset t").images()) {
      sorted.put(im.id().substring(im.id().lastIndexOf('/') + 1), im.label());
    }
    assertEquals(Map.of("a.JPEG", 0L, "b.jpg", 1L, "c.png", 2L), sorted);
    touch("cats/d.png");
    var e = org.junit.jupiter.api.Assertions.assertThrows(io.opnp.BadInputException.class,
        () -> FolderListing.list(root.toString(), new Configuration(), "dataset t", true));
    assertTrue(e.getMessage().contains("class folder 'cats'") && e.getMessage().contains("folder:PATH"),
        e.getMessage());
    assertEquals(DatasetSpec.Format.INDEXED_FOLDER, DatasetSpec.parse("val=indexed-folder:/data/val").format());
    assertEquals("val=indexed-folder:/data/val", DatasetSpec.parse("val=indexed-folder:/data/val").toString());
  }

  @Test
  void aFolderWithoutClassFoldersIsRefusedNamingIt() throws Exception {
    touch("a.png");
    var e = org.junit.jupiter.api.Assertions.assertThrows(io.opnp.BadInputException.class,
        () -> FolderListing.list(root.toString(), new Configuration(), "dataset t"));
    assertTrue(e.getMessage().startsWith("dataset t: folder " + root + " has no class sub-folders"), e.getMessage());
  }

  @Test
  void imageNamesAreMatchedByExtensionWhateverTheirCase() {
    for (String n : List.of("a.png", "b.JPG", "c.Jpeg", "d.webp", "e.TIFF", "f.pnm")) {
      assertTrue(FolderListing.isImage(n), n);
    }
    for (String n : List.of("png", "a.txt", "a.png.bak", ".png", "a.jp2")) {
      assertEquals(false, FolderListing.isImage(n), n);
    }
  }
}
