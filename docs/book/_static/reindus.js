// reindus book: filter the rows of tables marked data-filter-target (results, provenance)
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("input.reindus-filter").forEach(function (input) {
    var table = document.getElementById(input.dataset.filterTarget);
    if (!table) { return; }
    input.addEventListener("input", function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      table.querySelectorAll("tbody tr").forEach(function (row) {
        var text = row.textContent.toLowerCase();
        row.style.display = words.every(function (w) { return text.indexOf(w) >= 0; }) ? "" : "none";
      });
    });
  });
});
