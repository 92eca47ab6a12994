// The admin's import page: upload the files with a progress bar, then ask for the
// preview; on the preview, say that the load is running once confirmed. Without this
// script both forms still work as plain form posts (the site's CSP allows no inline
// script, hence this file).
(function () {
  "use strict";

  function show(box, text, value) {
    box.hidden = false;
    var bar = box.querySelector("progress");
    if (value === null) {
      bar.removeAttribute("value"); // indeterminate: the server is working
    } else {
      bar.value = value;
    }
    box.querySelector(".import-status").textContent = text;
  }

  function megabytes(n) {
    return (n / 1048576).toFixed(1) + " MB";
  }

  var upload = document.getElementById("import-form");
  if (upload) {
    upload.addEventListener("submit", function (event) {
      var input = upload.querySelector('input[type="file"]');
      if (!input || !input.files.length || !window.FormData) {
        return; // nothing new to send: a plain post with the files already kept
      }
      event.preventDefault();
      var box = document.getElementById("import-progress");
      var error = document.getElementById("import-error");
      var submit = upload.querySelector('[type="submit"]');
      var data = new FormData();
      data.append("csrfmiddlewaretoken", upload.querySelector("[name=csrfmiddlewaretoken]").value);
      for (var i = 0; i < input.files.length; i++) {
        data.append("files", input.files[i]);
      }
      var request = new XMLHttpRequest();
      request.open("POST", upload.dataset.uploadUrl);
      request.setRequestHeader("X-CSRFToken", data.get("csrfmiddlewaretoken"));
      request.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          show(box, "正在上传：" + megabytes(e.loaded) + " / " + megabytes(e.total), Math.round((100 * e.loaded) / e.total));
        }
      });
      request.addEventListener("load", function () {
        var answer = {};
        try {
          answer = JSON.parse(request.responseText);
        } catch (ignored) {
          answer = { error: "上传失败（服务器返回 " + request.status + "）" };
        }
        if (request.status !== 200 || !answer.files) {
          box.hidden = true;
          submit.disabled = false;
          error.textContent = answer.error || "上传失败";
          error.hidden = false;
          return;
        }
        upload.querySelectorAll('input[name="kept"]').forEach(function (old) {
          old.remove();
        });
        answer.files.forEach(function (f) {
          var kept = document.createElement("input");
          kept.type = "hidden";
          kept.name = "kept";
          kept.value = f.token;
          upload.appendChild(kept);
        });
        input.disabled = true; // the files are on the server: send only their names
        show(box, "上传完成，正在分析文本、生成预览……", null);
        upload.submit();
      });
      request.addEventListener("error", function () {
        box.hidden = true;
        submit.disabled = false;
        error.textContent = "上传中断，请检查网络后重试。";
        error.hidden = false;
      });
      error.hidden = true;
      submit.disabled = true;
      show(box, "正在上传……", 0);
      request.send(data);
    });
  }

  var confirm = document.getElementById("confirm-form");
  if (confirm) {
    var sent = false;
    confirm.addEventListener("submit", function (event) {
      if (sent) {
        event.preventDefault(); // one load at a time
        return;
      }
      sent = true;
      if (event.submitter && event.submitter.name === "confirm") {
        show(document.getElementById("import-progress"), "载入中……大文件可能需要一两分钟，请勿关闭页面。", null);
      }
    });
  }
})();
