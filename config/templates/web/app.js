// Optional improvements; every page works without this script.
(function () {
  document.documentElement.classList.add('js');
  var channel = document.getElementById('channel');
  var form = document.getElementById('register-form');
  if (form && channel) {
    var sync = function () {
      form.querySelectorAll('fieldset[data-channel]').forEach(function (fs) {
        fs.hidden = fs.getAttribute('data-channel') !== channel.value;
      });
    };
    channel.addEventListener('change', sync);
    sync();
  }
  // Classifier suggestions for «Вопрос» as the clerk types words.
  var list = document.getElementById('classifier-suggest');
  document.querySelectorAll('input[data-suggest]').forEach(function (input) {
    var timer;
    input.addEventListener('input', function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 3 || /^[0-9.]+$/.test(q)) return;
      timer = setTimeout(function () {
        fetch('/classifier/suggest?q=' + encodeURIComponent(q), { credentials: 'same-origin' })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (items) {
            list.innerHTML = '';
            items.forEach(function (it) {
              var o = document.createElement('option');
              o.value = it.code;
              o.label = it.name + ' — ' + it.path;
              o.textContent = it.name + ' — ' + it.path;
              list.appendChild(o);
            });
          });
      }, 250);
    });
  });
})();

// The error list's links put the cursor into the field they name.
(function () {
  document.querySelectorAll('#error-summary a[href^="#"]').forEach(function (a) {
    a.addEventListener('click', function (ev) {
      var field = document.getElementById(a.getAttribute('href').slice(1));
      if (field) { ev.preventDefault(); field.focus(); field.scrollIntoView({ block: 'center' }); }
    });
  });
})();
