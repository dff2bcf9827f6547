"use strict";(self.rspackChunkflowlab=self.rspackChunkflowlab||[]).push([[232],{475(e,t,r){var o=r(601),a=r.n(o),n=r(314),l=(r.n(n))()(a());l.push([e.id,`.flowlab-sidebar {
  display: flex;
  flex-direction: column;
  gap: 6px;
  padding: 8px;
  overflow-y: auto;
  background: var(--jp-layout-color1);
  color: var(--jp-ui-font-color1);
  font-size: var(--jp-ui-font-size1);
}

.flowlab-sidebar h3 {
  margin: 0;
}

.flowlab-query.flowlab-invalid {
  border-color: var(--jp-error-color1);
}

.flowlab-query-error {
  color: var(--jp-error-color1);
  white-space: pre-wrap;
}

.flowlab-section {
  display: flex;
  justify-content: space-between;
  align-items: center;
  font-weight: bold;
  margin-top: 6px;
}

.flowlab-sidebar ul {
  list-style: none;
  margin: 0;
  padding: 0;
}

.flowlab-search,
.flowlab-run-label {
  cursor: pointer;
}

.flowlab-search:hover,
.flowlab-run-label:hover {
  text-decoration: underline;
}

.flowlab-run-item {
  display: flex;
  align-items: flex-start;
  gap: 4px;
  padding: 3px 0;
  border-bottom: 1px solid var(--jp-border-color2);
}

.flowlab-run-label {
  flex: 1;
  overflow: hidden;
}

.flowlab-metrics {
  color: var(--jp-ui-font-color2);
}

.flowlab-empty {
  color: var(--jp-ui-font-color2);
  font-style: italic;
}

.flowlab-status {
  padding: 0 6px;
  border-radius: 3px;
  background: #eee;
  color: #222;
}

.flowlab-status[data-status='succeeded'],
.flowlab-status[data-status='cached'] {
  background: #c8e6c9;
}

.flowlab-status[data-status='running'] {
  background: #bbdefb;
}

.flowlab-status[data-status='failed'] {
  background: #ffcdd2;
}

.flowlab-status[data-status='cancelled'] {
  background: #e0e0e0;
}

.flowlab-run-detail {
  padding: 12px 20px;
  overflow: auto;
  background: var(--jp-layout-color0);
  color: var(--jp-ui-font-color1);
}

.flowlab-run-detail table {
  border-collapse: collapse;
}

.flowlab-run-detail th,
.flowlab-run-detail td {
  text-align: left;
  padding: 2px 8px;
  border-bottom: 1px solid var(--jp-border-color2);
}

.flowlab-logs pre {
  white-space: pre-wrap;
  background: var(--jp-layout-color2);
  padding: 4px;
}
`,""]),r.d(t,{},{A:l})},314(e){e.exports=function(e){var t=[];return t.toString=function(){return this.map(function(t){var r="",o=void 0!==t[5];return t[4]&&(r+="@supports (".concat(t[4],") {")),t[2]&&(r+="@media ".concat(t[2]," {")),o&&(r+="@layer".concat(t[5].length>0?" ".concat(t[5]):""," {")),r+=e(t),o&&(r+="}"),t[2]&&(r+="}"),t[4]&&(r+="}"),r}).join("")},t.i=function(e,r,o,a,n){"string"==typeof e&&(e=[[null,e,void 0]]);var l={};if(o)for(var c=0;c<this.length;c++){var s=this[c][0];null!=s&&(l[s]=!0)}for(var i=0;i<e.length;i++){var u=[].concat(e[i]);o&&l[u[0]]||(void 0!==n&&(void 0===u[5]||(u[1]="@layer".concat(u[5].length>0?" ".concat(u[5]):""," {").concat(u[1],"}")),u[5]=n),r&&(u[2]&&(u[1]="@media ".concat(u[2]," {").concat(u[1],"}")),u[2]=r),a&&(u[4]?(u[1]="@supports (".concat(u[4],") {").concat(u[1],"}"),u[4]=a):u[4]="".concat(a)),t.push(u))}},t}},601(e){e.exports=function(e){return e[1]}},72(e){var t=[];function r(e){for(var r=-1,o=0;o<t.length;o++)if(t[o].identifier===e){r=o;break}return r}function o(e,o){for(var a={},n=[],l=0;l<e.length;l++){var c=e[l],s=o.base?c[0]+o.base:c[0],i=a[s]||0,u="".concat(s," ").concat(i);a[s]=i+1;var d=r(u),p={css:c[1],media:c[2],sourceMap:c[3],supports:c[4],layer:c[5]};if(-1!==d)t[d].references++,t[d].updater(p);else{var f=function(e,t){var r=t.domAPI(t);return r.update(e),function(t){t?(t.css!==e.css||t.media!==e.media||t.sourceMap!==e.sourceMap||t.supports!==e.supports||t.layer!==e.layer)&&r.update(e=t):r.remove()}}(p,o);o.byIndex=l,t.splice(l,0,{identifier:u,updater:f,references:1})}n.push(u)}return n}e.exports=function(e,a){var n=o(e=e||[],a=a||{});return function(e){e=e||[];for(var l=0;l<n.length;l++){var c=r(n[l]);t[c].references--}for(var s=o(e,a),i=0;i<n.length;i++){var u=r(n[i]);0===t[u].references&&(t[u].updater(),t.splice(u,1))}n=s}}},659(e){var t={};e.exports=function(e,r){var o=function(e){if(void 0===t[e]){var r=document.querySelector(e);if(window.HTMLIFrameElement&&r instanceof window.HTMLIFrameElement)try{r=r.contentDocument.head}catch(e){r=null}t[e]=r}return t[e]}(e);if(!o)throw Error("Couldn't find a style target. This probably means that the value for the 'insert' parameter is invalid.");o.appendChild(r)}},540(e){e.exports=function(e){var t=document.createElement("style");return e.setAttributes(t,e.attributes),e.insert(t,e.options),t}},56(e,t,r){e.exports=function(e){var t=r.nc;t&&e.setAttribute("nonce",t)}},825(e){e.exports=function(e){if("u"<typeof document)return{update:function(){},remove:function(){}};var t=e.insertStyleElement(e);return{update:function(r){var o,a,n;o="",r.supports&&(o+="@supports (".concat(r.supports,") {")),r.media&&(o+="@media ".concat(r.media," {")),(a=void 0!==r.layer)&&(o+="@layer".concat(r.layer.length>0?" ".concat(r.layer):""," {")),o+=r.css,a&&(o+="}"),r.media&&(o+="}"),r.supports&&(o+="}"),(n=r.sourceMap)&&"u">typeof btoa&&(o+="\n/*# sourceMappingURL=data:application/json;base64,".concat(btoa(unescape(encodeURIComponent(JSON.stringify(n))))," */")),e.styleTagTransform(o,t,e.options)},remove:function(){var e;null===(e=t).parentNode||e.parentNode.removeChild(e)}}}},113(e){e.exports=function(e,t){if(t.styleSheet)t.styleSheet.cssText=e;else{for(;t.firstChild;)t.removeChild(t.firstChild);t.appendChild(document.createTextNode(e))}}},579(e,t,r){var o=r(72),a=r.n(o),n=r(825),l=r.n(n),c=r(659),s=r.n(c),i=r(56),u=r.n(i),d=r(540),p=r.n(d),f=r(113),b=r.n(f),v=r(475),h={};h.styleTagTransform=b(),h.setAttributes=u(),h.insert=s().bind(null,"head"),h.domAPI=l(),h.insertStyleElement=p(),a()(v.A,h),v.A&&v.A.locals&&v.A.locals}}]);