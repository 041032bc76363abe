// The placement selects become the rows= and columns= lists, in the order listed.
document.getElementById('pivot-form').addEventListener('submit', function (event) {
  var rows = [], columns = [];
  document.querySelectorAll('select.placement').forEach(function (select) {
    if (select.value === 'rows') rows.push(select.dataset.dimension);
    if (select.value === 'columns') columns.push(select.dataset.dimension);
    select.disabled = true;
  });
  document.getElementById('pivot-rows').value = rows.join(',');
  document.getElementById('pivot-columns').value = columns.join(',');
});
